"""Census 2021 tables for Trafford as tidy per-area distributions (for the synthetic population).

Reads the ONS Census 2021 extracts shipped in ``assetmap/demo/data/census2021/`` (unpaid care
by LSOA and ward, disability and general health by 2022 ward) and the LSOA (2021) -> ward (2022)
best-fit lookup in ``assetmap/demo/data/lookups/``. Categories are mapped onto the words in
:mod:`assetmap.vocab` (``CARER_HOURS``, ``DISABILITY``, ``HEALTH``). A malformed file raises
:class:`~assetmap.errors.ValidationError` naming the file and what is wrong.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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

    def lsoa_weights(self) -> pd.Series:
        """Each LSOA's share of Trafford's usual residents (sums to 1), in LSOA code order."""
        pop = self.lsoa_population.sort_index()
        return pop / pop.sum()

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
    return CensusTables(lsoa_population=lsoa_pop.astype(float), carer_hours=carer,
                        ward_carer_hours=ward_carer, disability=disability, health=health,
                        lsoa_ward=lsoa_ward, ward_names=ward_names)


@functools.lru_cache(maxsize=1)
def _packaged() -> CensusTables:
    return read_tables()


def load() -> CensusTables:
    """The packaged Trafford census tables (parsed once per process)."""
    return _packaged()
