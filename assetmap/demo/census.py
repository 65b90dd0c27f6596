"""Census 2021 tables for Trafford as tidy per-area distributions (for the synthetic population).

Reads the ONS Census 2021 extracts shipped in ``assetmap/demo/data/census2021/`` (unpaid care
by LSOA and ward; disability and general health by LSOA and by 2022 ward; usual residents by
5-year age band per LSOA) and the LSOA (2021) -> ward (2022) best-fit lookup in
``assetmap/demo/data/lookups/``. :meth:`CensusTables.people_weights` spreads the demo's people
so that every 2022 ward holds its census share of usual residents (the best-fit lookup alone
was off by up to 23.5 %); :meth:`CensusTables.adult_age_shares` gives each LSOA's own adult
age bands, and :meth:`CensusTables.adult_shares` turns an all-age LSOA table (disability,
health) into the adult rates it implies, by indirect standardisation with national
age-specific rates. Categories are mapped onto the words in
:mod:`assetmap.vocab` (``CARER_HOURS``, ``DISABILITY``, ``HEALTH``). A malformed file raises
:class:`~assetmap.errors.ValidationError` naming the file and what is wrong.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from assetmap import vocab
from assetmap.errors import ValidationError

DATA_DIR: Path = Path(__file__).resolve().parent / "data"
CENSUS_DIR: Path = DATA_DIR / "census2021"
LOOKUP_FILE: Path = DATA_DIR / "lookups" / "trafford_lsoa21_to_ward22_best-fit_lookup.csv"

UNPAID_CARE_LSOA = "2021_unpaid_care_lsoa_trafford.csv"
UNPAID_CARE_WARD = "2021_unpaid_care_ward_trafford.csv"
DISABILITY_WARD = "2021_disability_ward_trafford.csv"
HEALTH_WARD = "2021_general_health_ward_trafford.csv"
AGE_LSOA = "2021_population_by_5_year_age_bands_lsoa_trafford.csv"
DISABILITY_LSOA = "2021_disability_lsoa_trafford.csv"
HEALTH_LSOA = "2021_general_health_lsoa_trafford.csv"
#: The ward geography of the census tables: Census 2021 was published for 2022 wards (codes
#: E050008xx); Trafford's wards changed in May 2023, so figures say which they use.
WARD_VINTAGE = "2022 wards (Census 2021 geography)"

#: The census's 5-year age bands, youngest first, as (label words, first age, last age).
FIVE_YEAR_BANDS: tuple[tuple[int, int], ...] = tuple(
    (lo, lo + 4) for lo in range(0, 85, 5)) + ((85, 120),)

#: National age-specific rates used only as relative weights for indirect standardisation
#: (ONS, Census 2021 England and Wales, TS038 disability and TS037 general health by age;
#: rounded, approximate): per 5-year band, the share disabled (Equality Act) and the share in
#: fair / bad-or-very-bad health. Only their ratios between ages matter.
_DISABLED_BY_AGE = (0.04, 0.07, 0.09, 0.11, 0.12, 0.11, 0.12, 0.13, 0.14, 0.16, 0.19, 0.23,
                    0.26, 0.27, 0.31, 0.38, 0.47, 0.62)
_FAIR_BY_AGE = (0.02, 0.03, 0.04, 0.06, 0.07, 0.07, 0.08, 0.09, 0.10, 0.12, 0.14, 0.17, 0.19,
                0.21, 0.24, 0.28, 0.31, 0.33)
_BAD_BY_AGE = (0.005, 0.008, 0.012, 0.02, 0.025, 0.025, 0.03, 0.035, 0.045, 0.06, 0.08, 0.095,
               0.10, 0.10, 0.11, 0.13, 0.16, 0.21)
#: Which vocab.AGE_BANDS each 5-year band feeds, with the share of the band that is 16+ (the
#: 15-19 band is taken as uniform: four of its five years are 16 or over).
_ADULT_PART: tuple[tuple[int, float], ...] = (
    (-1, 0.0), (-1, 0.0), (-1, 0.0), (0, 0.8), (0, 1.0), (1, 1.0), (1, 1.0), (2, 1.0), (2, 1.0),
    (2, 1.0), (3, 1.0), (3, 1.0), (3, 1.0), (4, 1.0), (4, 1.0), (5, 1.0), (5, 1.0), (6, 1.0))

_TABLE_COLUMNS = ("area_code", "area_name", "value")


def _carer_band(label: str) -> str | None:
    text = label.lower()
    if "no unpaid care" in text:
        return "none"
    if "9 hours or less" in text:
        return "9_or_less"
    if "10 to 19" in text:
        return "10_to_19"
    if "20 to 34" in text or "35 to 49" in text or "20 to 49" in text:
        return "20_to_49"
    if "50 or more" in text:
        return "50_or_more"
    return None


def _disability(label: str) -> str | None:
    text = label.lower()
    if text.startswith("not disabled"):
        return "none"
    if "limited a lot" in text:
        return "limited_a_lot"
    if "limited a little" in text:
        return "limited_a_little"
    return None


_HEALTH_LABELS = {
    "very good health": "very_good",
    "good health": "good",
    "fair health": "fair",
    "bad health": "bad",
    "very bad health": "very_bad",
}


def _health(label: str) -> str | None:
    return _HEALTH_LABELS.get(re.sub(r"\s+", " ", label.strip().lower()))


@dataclass(frozen=True)
class CensusTables:
    """Trafford's Census 2021 distributions, each row summing to 1 (counts kept alongside)."""

    #: Usual residents aged 5+ per LSOA (the unpaid care table's totals; Census 2021 TS039
    #: counts unpaid care for residents aged 5 and over), index = LSOA code.
    lsoa_population: pd.Series
    #: P(carer_hours band) per LSOA: index LSOA code, columns ``vocab.CARER_HOURS``.
    carer_hours: pd.DataFrame
    #: P(carer_hours band) per 2022 ward (the ward table itself): columns ``vocab.CARER_HOURS``.
    ward_carer_hours: pd.DataFrame
    #: P(disability) per 2022 ward: columns ``vocab.DISABILITY``.
    disability: pd.DataFrame
    #: P(general health) per 2022 ward: columns ``vocab.HEALTH``.
    health: pd.DataFrame
    #: LSOA (2021) code -> best-fit 2022 ward code.
    lsoa_ward: pd.Series
    #: 2022 ward code -> ward name.
    ward_names: pd.Series
    #: Usual residents (all ages) per 2022 ward: the disability ward table's totals (TS038).
    ward_population: pd.Series | None = None
    #: Usual residents per LSOA by 5-year age band (columns 0..17, youngest first; TS007).
    age_counts: pd.DataFrame | None = None
    #: P(disability) per LSOA, all ages: columns ``vocab.DISABILITY``.
    lsoa_disability: pd.DataFrame | None = None
    #: P(general health) per LSOA, all ages: columns ``vocab.HEALTH``.
    lsoa_health: pd.DataFrame | None = None

    def lsoa_weights(self) -> pd.Series:
        """Each LSOA's share of Trafford's usual residents (sums to 1), in LSOA code order."""
        pop = self.lsoa_population.sort_index()
        return pop / pop.sum()

    def adult_population(self) -> pd.Series:
        """Usual residents aged 16 and over per LSOA (from the 5-year bands)."""
        assert self.age_counts is not None
        part = np.array([p for _b, p in _ADULT_PART])
        return (self.age_counts * part).sum(axis=1)

    def people_weights(self) -> pd.Series:
        """Each LSOA's share of the demo's people (sums to 1), in LSOA code order: every 2022
        ward gets its census share of usual residents (``ward_population``), spread over the
        LSOAs the best-fit lookup puts in it by their adults. Best-fit LSOAs straddle ward
        lines, so LSOA totals alone miss the ward totals by up to 23.5 %; this matches them."""
        adults = self.adult_population().reindex(self.lsoa_population.index).fillna(0.0)
        return ward_weighted(adults, self.lsoa_ward, self.ward_population)

    def adult_age_shares(self) -> pd.DataFrame:
        """P(age band) among each LSOA's adults: index LSOA, columns ``vocab.AGE_BANDS``."""
        assert self.age_counts is not None
        out = np.zeros((len(self.age_counts), len(vocab.AGE_BANDS)))
        values = self.age_counts.to_numpy(dtype=float)
        for j, (band, part) in enumerate(_ADULT_PART):
            if band >= 0:
                out[:, band] += values[:, j] * part
        out /= out.sum(axis=1, keepdims=True)
        return pd.DataFrame(out, index=self.age_counts.index, columns=list(vocab.AGE_BANDS))

    def adult_shares(self, table: str) -> pd.DataFrame:
        """Adult (16+) rates per LSOA for ``table`` ("disability" or "health"), from the
        LSOA's all-age shares by indirect standardisation: each affected category is scaled by
        (expected rate among the LSOA's adults) / (expected rate among all its residents),
        the expectations taken with national age-specific rates over the LSOA's own ages; the
        unaffected categories share what is left. Children are rarely disabled or in poor
        health, so adults' rates are higher than the all-age table's."""
        assert self.age_counts is not None
        ages = self.age_counts.to_numpy(dtype=float)
        part = np.array([p for _b, p in _ADULT_PART])

        def ratio(rates: tuple[float, ...]) -> np.ndarray:
            r = np.asarray(rates)
            adult = (ages * part * r).sum(axis=1) / (ages * part).sum(axis=1)
            every = (ages * r).sum(axis=1) / ages.sum(axis=1)
            return adult / every

        if table == "disability":
            shares = self.lsoa_disability
            scale = {"limited_a_little": ratio(_DISABLED_BY_AGE),
                     "limited_a_lot": ratio(_DISABLED_BY_AGE)}
            rest = ["none"]
        elif table == "health":
            shares = self.lsoa_health
            scale = {"fair": ratio(_FAIR_BY_AGE), "bad": ratio(_BAD_BY_AGE),
                     "very_bad": ratio(_BAD_BY_AGE)}
            rest = ["very_good", "good"]
        else:
            raise ValueError(f"no adult shares for the table {table!r}")
        assert shares is not None
        idx = self.age_counts.index.intersection(shares.index)
        out = shares.loc[idx].copy()
        k = {c: pd.Series(v, index=self.age_counts.index).loc[idx] for c, v in scale.items()}
        for col, factor in k.items():
            out[col] = out[col] * factor
        affected = out[list(scale)].sum(axis=1).clip(upper=0.98)
        out[list(scale)] = out[list(scale)].mul(affected / out[list(scale)].sum(axis=1), axis=0)
        left = shares.loc[idx, rest]
        out[rest] = left.mul((1.0 - affected) / left.sum(axis=1), axis=0)
        return out

    def carer_share_by_ward(self) -> pd.Series:
        """Share of usual residents providing any unpaid care, per 2022 ward (census table)."""
        return 1.0 - self.ward_carer_hours["none"]


def _read(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    if not path.is_file():
        raise ValidationError(f"The file {path.name} is missing from {path.parent}.",
                              record=str(path))
    try:
        frame = pd.read_csv(path, dtype={"area_code": str, "area_name": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValidationError(f"The census file {path.name} is not a readable CSV ({exc}).",
                              record=str(path)) from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValidationError(
            f"The census file {path.name} lacks the column(s) {', '.join(missing)}.",
            field=missing[0], record=str(path))
    return frame


def _distribution(path: Path, category_column: str, categorise: Callable[[str], str | None],
                  categories: tuple[str, ...]) -> tuple[pd.DataFrame, pd.Series]:
    """Counts of a category table, per area, as (shares per area, totals per area)."""
    frame = _read(path, (*_TABLE_COLUMNS, category_column))
    values = pd.to_numeric(frame["value"], errors="coerce")
    bad = frame.index[values.isna() | (values < 0)]
    if len(bad):
        row = int(bad[0]) + 2  # 1-based, after the header
        raise ValidationError(
            f"The census file {path.name} has a value that is not a count on line {row} "
            f"({frame.loc[bad[0], 'value']!r}).", field="value", record=f"{path.name}:{row}")
    mapped = frame[category_column].astype(str).map(categorise)
    unknown = frame.index[mapped.isna()]
    if len(unknown):
        row = int(unknown[0]) + 2
        raise ValidationError(
            f"The census file {path.name} has an unknown {category_column} on line {row} "
            f"({frame.loc[unknown[0], category_column]!r}).",
            field=category_column, record=f"{path.name}:{row}")
    counts = (pd.DataFrame({"area_code": frame["area_code"], "category": mapped,
                            "value": values})
              .groupby(["area_code", "category"])["value"].sum()
              .unstack("category").reindex(columns=list(categories)).fillna(0.0)
              .sort_index())
    totals = counts.sum(axis=1)
    empty = totals.index[totals <= 0]
    if len(empty):
        raise ValidationError(f"The census file {path.name} has no people in area {empty[0]}.",
                              record=str(path))
    shares = counts.div(totals, axis=0)
    shares.columns.name = None
    return shares, totals


def ward_weighted(base: pd.Series, lsoa_ward: pd.Series, ward_population: pd.Series | None
                   ) -> pd.Series:
    """LSOA weights (sum 1) from ``base`` scaled so that each ward's total is its share of
    ``ward_population`` (LSOAs in a ward keep their relative sizes)."""
    ward = lsoa_ward.reindex(base.index)
    if ward_population is None:
        return base / base.sum()
    in_ward = base.groupby(ward).transform("sum")
    target = ward.map(ward_population / ward_population.sum())
    w = base / in_ward * target
    return w / w.sum()


def _age_table(path: Path) -> pd.DataFrame:
    """Usual residents per LSOA by 5-year band (columns 0..17, youngest first)."""
    frame = _read(path, (*_TABLE_COLUMNS, "indicator"))

    def band(label: str) -> int | None:
        nums = [int(x) for x in re.findall(r"\d+", label)]
        if not nums:
            return None
        for i, (lo, hi) in enumerate(FIVE_YEAR_BANDS):
            if (len(nums) == 1 and "under" in label and hi == nums[0]) or nums[0] == lo:
                return i
        return None

    bands = frame["indicator"].astype(str).map(band)
    values = pd.to_numeric(frame["value"], errors="coerce")
    bad = frame.index[bands.isna() | values.isna() | (values < 0)]
    if len(bad):
        row = int(bad[0]) + 2
        raise ValidationError(f"The census file {path.name} has an unknown age band or a value "
                              f"that is not a count on line {row}.", record=f"{path.name}:{row}")
    counts = (pd.DataFrame({"area_code": frame["area_code"], "band": bands.astype(int),
                            "value": values})
              .groupby(["area_code", "band"])["value"].sum().unstack("band")
              .reindex(columns=range(len(FIVE_YEAR_BANDS))).fillna(0.0).sort_index())
    counts.columns.name = None
    return counts


def _lookup(path: Path) -> tuple[pd.Series, pd.Series]:
    frame = _read(path, ("lsoa21cd", "wd22cd", "wd22nm"))
    frame = frame.dropna(subset=["lsoa21cd", "wd22cd"])
    dupes = frame["lsoa21cd"][frame["lsoa21cd"].duplicated()]
    if len(dupes):
        raise ValidationError(f"The lookup {path.name} maps LSOA {dupes.iloc[0]} to more than "
                              "one ward.", record=str(path))
    lsoa_ward = frame.set_index("lsoa21cd")["wd22cd"].astype(str).sort_index()
    ward_names = frame.drop_duplicates("wd22cd").set_index("wd22cd")["wd22nm"].sort_index()
    return lsoa_ward, ward_names


def read_tables(census_dir: Path = CENSUS_DIR, lookup_file: Path = LOOKUP_FILE) -> CensusTables:
    """Parse the census CSVs in ``census_dir`` and the lookup into :class:`CensusTables`.

    Raises ValidationError (naming the file and line) if a file is missing or malformed, or if
    an LSOA in the unpaid care table has no ward, or a ward has no disability/health figures.
    """
    census_dir = Path(census_dir)
    carer, lsoa_pop = _distribution(census_dir / UNPAID_CARE_LSOA, "unpaid_care", _carer_band,
                                    vocab.CARER_HOURS)
    ward_carer, _ = _distribution(census_dir / UNPAID_CARE_WARD, "unpaid_care", _carer_band,
                                  vocab.CARER_HOURS)
    disability, _ = _distribution(census_dir / DISABILITY_WARD, "disability_category",
                                  _disability, vocab.DISABILITY)
    health, _ = _distribution(census_dir / HEALTH_WARD, "general_health", _health, vocab.HEALTH)
    _dis, ward_population = _distribution(census_dir / DISABILITY_WARD, "disability_category",
                                          _disability, vocab.DISABILITY)
    lsoa_dis, _ = _distribution(census_dir / DISABILITY_LSOA, "disability_category", _disability,
                                vocab.DISABILITY)
    lsoa_health, _ = _distribution(census_dir / HEALTH_LSOA, "general_health", _health,
                                   vocab.HEALTH)
    ages = _age_table(census_dir / AGE_LSOA)
    lsoa_ward, ward_names = _lookup(Path(lookup_file))
    no_ward = sorted(set(carer.index) - set(lsoa_ward.index))
    if no_ward:
        raise ValidationError(f"LSOA {no_ward[0]} is not in the LSOA-to-ward lookup "
                              f"({len(no_ward)} LSOA(s) missing).", record=no_ward[0])
    lsoa_ward = lsoa_ward.loc[carer.index]
    for name, table in (("disability", disability), ("general health", health)):
        gaps = sorted(set(lsoa_ward) - set(table.index))
        if gaps:
            raise ValidationError(f"Ward {gaps[0]} has no {name} figures in the census tables.",
                                  record=gaps[0])
    for name, table in (("age", ages), ("disability", lsoa_dis), ("general health", lsoa_health)):
        gaps = sorted(set(carer.index) - set(table.index))
        if gaps:
            raise ValidationError(f"LSOA {gaps[0]} has no {name} figures in the census tables.",
                                  record=gaps[0])
    return CensusTables(lsoa_population=lsoa_pop.astype(float), carer_hours=carer,
                        ward_carer_hours=ward_carer, disability=disability, health=health,
                        lsoa_ward=lsoa_ward, ward_names=ward_names,
                        ward_population=ward_population.astype(float),
                        age_counts=ages.loc[carer.index], lsoa_disability=lsoa_dis,
                        lsoa_health=lsoa_health)


@functools.lru_cache(maxsize=1)
def _packaged() -> CensusTables:
    return read_tables()


def load() -> CensusTables:
    """The packaged Trafford census tables (parsed once per process)."""
    return _packaged()
