"""The package's one postcode normaliser (assetmap.geo.normalise_postcode): its documented rule,
its invariants under hypothesis, and that every other module uses it rather than a copy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assetmap.geo import normalise_postcode

PCDS = re.compile(r"^(?:[A-Z]{1,2}[0-9][A-Z0-9]?|GIR) [0-9][A-Z]{2}$")
ROOT = Path(__file__).resolve().parents[1]

#: The ten inputs the two old normalisers (ingest and the Trafford demo) split on 4 of.
CASES = [
    ("m331aa", "M33 1AA"),
    (" M33  1AA ", "M33 1AA"),
    ("M3 31AA", "M33 1AA"),           # spaces anywhere are ignored: the inward code is the last 3
    ("M33\u00a01AA", "M33 1AA"),       # a non-breaking space from a web page is whitespace
    ("M33-1AA", None),                 # other characters are not guessed at
    ("M33 1AA.", None),
    ("GIR 0AA", "GIR 0AA"),            # Girobank's postcode has its own outward code
    ("m33 1ß", None),                  # "ß".upper() is "SS": non-ASCII is refused first
    (float("nan"), None),              # an empty spreadsheet cell read by pandas
    (12345, None),
]


@pytest.mark.parametrize("raw, expected", CASES)
def test_the_documented_rule(raw, expected):
    assert normalise_postcode(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("m15 4ab", "M15 4AB"), ("M154AB", "M15 4AB"), ("  m 1 5 4 a b ", "M15 4AB"),
    ("wa14 1aa", "WA14 1AA"), ("EC1A1BB", "EC1A 1BB"), ("W1A 0AX", "W1A 0AX"),
    ("ZZ99 3WZ", "ZZ99 3WZ"), ("", None), ("M15", None), ("not a postcode", None),
    ("M15 4A", None), ("1M5 4AB", None), (None, None)])
def test_spellings(raw, expected):
    assert normalise_postcode(raw) == expected


outward = st.from_regex(r"\A[A-Z]{1,2}[0-9][A-Z0-9]?\Z")
inward = st.from_regex(r"\A[0-9][A-Z]{2}\Z")
spaces = st.lists(st.sampled_from([" ", "\t", "\u00a0", ""]), max_size=3).map("".join)


@given(outward, inward, spaces, spaces, spaces, st.booleans())
def test_any_spacing_and_case_gives_the_one_form(out, inw, before, middle, after, lower):
    canonical = f"{out} {inw}"
    spelt = before + out + middle + inw + after
    assert normalise_postcode(spelt.lower() if lower else spelt) == canonical


@given(st.text(max_size=20))
def test_the_result_is_none_or_canonical_and_idempotent(text):
    got = normalise_postcode(text)
    assert got is None or (PCDS.match(got) and normalise_postcode(got) == got)


@given(outward, inward, st.sampled_from("-./,;:#()'_"))
def test_punctuation_is_never_guessed_away(out, inw, mark):
    assert normalise_postcode(f"{out}{mark}{inw}") is None


def test_no_other_module_defines_a_normaliser():
    """One normaliser in the package: the importers and the demo use assetmap.geo's."""
    defining = [p.relative_to(ROOT).as_posix()
                for p in (ROOT / "assetmap").rglob("*.py")
                if re.search(r"^def normalise_postcode\b", p.read_text(encoding="utf-8"), re.M)]
    assert defining == ["assetmap/geo.py"]
    from assetmap.demo import trafford
    from assetmap.ingest import postcodes, spreadsheet

    assert trafford.normalise_postcode is normalise_postcode
    assert postcodes.normalise_postcode is normalise_postcode
    assert spreadsheet.normalise_postcode is normalise_postcode
