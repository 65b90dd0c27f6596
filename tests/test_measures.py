"""Validated scales: the SWEMWBS Rasch conversion table, item counts and ranges with
one-sentence errors, Care Act goals, and ``import spreadsheet --kind measures``."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from assetmap import vocab
from assetmap.cli import main
from assetmap.errors import ValidationError
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.ingest.measures import import_measures
from assetmap.measures import (
    SCALES,
    SWEMWBS_METRIC,
    check_answers,
    goal_record,
    measure_record,
    record_goal,
    record_measure,
    scale_name,
    score_answers,
    swemwbs_metric,
)
from assetmap.model import Node

#: The published table (Stewart-Brown et al. 2009), typed in again here from the source so
#: that a slip in either copy fails.
PUBLISHED = [7.00, 9.51, 11.25, 12.40, 13.33, 14.08, 14.75, 15.32, 15.84, 16.36, 16.88, 17.43,
             17.98, 18.59, 19.25, 19.98, 20.73, 21.54, 22.35, 23.21, 24.11, 25.03, 26.02, 27.03,
             28.13, 29.31, 30.70, 32.55, 35.00]


def test_swemwbs_conversion_table_is_the_published_one() -> None:
    assert sorted(SWEMWBS_METRIC) == list(range(7, 36))
    assert [SWEMWBS_METRIC[r] for r in range(7, 36)] == PUBLISHED
    assert swemwbs_metric(7) == 7.00 and swemwbs_metric(35) == 35.00
    assert swemwbs_metric(21) == 19.25
    values = [SWEMWBS_METRIC[r] for r in range(7, 36)]
    assert all(a < b for a, b in zip(values, values[1:], strict=False))  # strictly increasing


@pytest.mark.parametrize("raw", [6, 36, 0, True, 20.5])
def test_swemwbs_metric_refuses_impossible_totals(raw: object) -> None:
    with pytest.raises(ValidationError, match="whole number from 7 to 35"):
        swemwbs_metric(raw)  # type: ignore[arg-type]


def test_swemwbs_scores_convert_the_raw_total() -> None:
    assert score_answers("swemwbs", [1, 1, 1, 1, 1, 1, 1]) == {"swemwbs_raw": 7.0,
                                                                "swemwbs_metric": 7.0}
    assert score_answers("SWEMWBS", [3, 3, 3, 3, 3, 3, 3])["swemwbs_metric"] == 19.25
    assert score_answers("swemwbs", [5] * 7)["swemwbs_metric"] == 35.0


@given(st.lists(st.integers(1, 5), min_size=7, max_size=7))
def test_swemwbs_metric_is_the_table_entry_of_the_raw_sum(items: list[int]) -> None:
    scores = score_answers("swemwbs", items)
    assert scores["swemwbs_raw"] == sum(items)
    assert scores["swemwbs_metric"] == SWEMWBS_METRIC[sum(items)]


def test_ons4_range_is_0_to_10_for_four_items() -> None:
    assert score_answers("ons4", [0, 10, 5, 3]) == {
        "ons4_life_satisfaction": 0.0, "ons4_worthwhile": 10.0, "ons4_happiness": 5.0,
        "ons4_anxiety": 3.0}
    with pytest.raises(ValidationError, match=r"^ons4 anxiety is outside 0 to 10\.$"):
        score_answers("ons4", [0, 10, 5, 11])
    with pytest.raises(ValidationError, match=r"^ons4 life_satisfaction is outside 0 to 10\.$"):
        score_answers("ons4", [-1, 10, 5, 3])
    with pytest.raises(ValidationError, match=r"^ons4 needs 4 answers, not 3\.$"):
        score_answers("ons4", [1, 2, 3])
    with pytest.raises(ValidationError, match=r"^ons4 needs 4 answers, not 5\.$"):
        score_answers("ons4", [1, 2, 3, 4, 5])


def test_ucla3_range_is_1_to_3_per_item_and_3_to_9_in_total() -> None:
    assert score_answers("ucla3", [1, 1, 1]) == {"ucla3_total": 3.0}
    assert score_answers("ucla-3", [3, 3, 3]) == {"ucla3_total": 9.0}
    for bad in ([0, 1, 1], [1, 4, 1], [1, 1, "x"], [1, 1, 2.5], [1, 1, True]):
        with pytest.raises(ValidationError) as err:
            score_answers("ucla3", bad)
        assert str(err.value).count(".") == 1 and "1 to 3" in str(err.value)
    with pytest.raises(ValidationError, match="needs 3 answers, not 2"):
        score_answers("ucla3", [1, 1])


def test_lsns6_subscales_and_mycaw_optional_second_concern() -> None:
    assert score_answers("LSNS 6", [5, 5, 5, 0, 1, 2]) == {
        "lsns6_total": 18.0, "lsns6_family": 15.0, "lsns6_friends": 3.0}
    assert score_answers("mycaw", [4, 2]) == {"mycaw_profile": 3.0}
    assert score_answers("mycaw", [4, 2, 6]) == {"mycaw_profile": 4.0}
    with pytest.raises(ValidationError, match="needs 2 or 3 answers"):
        score_answers("mycaw", [4])
    with pytest.raises(ValidationError, match="outside 0 to 5"):
        score_answers("lsns6", [6, 0, 0, 0, 0, 0])


def test_answers_by_item_name_must_not_skip_an_item() -> None:
    items = dict(zip(SCALES["ucla3"].items, [1, 2, 3], strict=True))
    assert check_answers("ucla3", items) == [1, 2, 3]
    with pytest.raises(ValidationError, match="must not skip an item"):
        check_answers("ucla3", {"lack_companionship": 1, "isolated": 2})
    with pytest.raises(ValidationError, match="has no item"):
        check_answers("ucla3", {**items, "sadness": 2})


def test_unknown_scale_is_one_sentence() -> None:
    with pytest.raises(ValidationError, match=r"^scale 'phq9' is not one of ons4, swemwbs"):
        scale_name("phq9")
    assert scale_name(" UCLA-3 ") == "ucla3" and tuple(SCALES) == vocab.SCALES


def test_measure_and_goal_records_need_a_date_who_and_known_words() -> None:
    rec = measure_record("person:a", "ucla3", [1, 2, 3], "2025-01-02", "coordinator-1")
    assert rec.kind == vocab.MEASURE and rec.data["scores"] == {"ucla3_total": 6.0}
    assert rec.data["recorded_by"] == "coordinator-1" and rec.date == "2025-01-02"
    with pytest.raises(ValidationError, match="is not a date"):
        measure_record("person:a", "ucla3", [1, 2, 3], "02/01/2025", "x")
    with pytest.raises(ValidationError, match="in the future"):
        measure_record("person:a", "ucla3", [1, 2, 3],
                       _dt.date.today() + _dt.timedelta(days=2), "x")
    with pytest.raises(ValidationError, match="who recorded it"):
        measure_record("person:a", "ucla3", [1, 2, 3], "2025-01-02", " ")
    assert len(vocab.CARE_ACT_DOMAINS) == 9
    goal = goal_record("person:a", "relationships", "See my sister monthly", "set",
                       "2025-01-02", "x")
    assert goal.kind == vocab.GOAL and goal.data["domain"] == "relationships"
    with pytest.raises(ValidationError, match="Care Act's nine"):
        goal_record("person:a", "happiness", "x", "set", "2025-01-02", "x")
    with pytest.raises(ValidationError, match="goal status"):
        goal_record("person:a", "relationships", "x", "done", "2025-01-02", "x")


def test_recording_needs_a_person_in_the_store(sqlite_store: SQLiteStore) -> None:
    sqlite_store.upsert_nodes([Node("person:a", vocab.PERSON, "A"),
                               Node("group:g", vocab.GROUP, "G")])
    record_measure(sqlite_store, "person:a", "ons4", [7, 7, 7, 3], "2025-01-02", "x")
    record_goal(sqlite_store, "person:a", "health", "Walk daily", "set", "2025-01-02", "x")
    assert len(sqlite_store.records(person_id="person:a")) == 2
    with pytest.raises(ValidationError, match="only be recorded for a person"):
        record_measure(sqlite_store, "group:g", "ons4", [7, 7, 7, 3], "2025-01-02", "x")


# --- import spreadsheet --kind measures -----------------------------------------------------------

SHEET = """person_id,scale,date,recorded_by,q1,q2,q3,q4,q5,q6,q7
a,swemwbs,2025-01-15,lw,3,3,3,3,3,3,3
a,ucla3,2025-01-15,lw,2,3,2,,,,
b,ons4,2025-01-15,lw,7,8,6,11,,,
nobody,ucla3,2025-01-15,lw,1,1,1,,,,
a,ucla3,15/01/2025,lw,1,1,1,,,,
a,ucla3,2025-01-15,lw,1,1,1,,,,
b,phq9,2025-01-15,lw,1,1,1,,,,
b,ucla3,2025-02-01,lw,1,1,,,,,
"""


def _people(store: SQLiteStore) -> None:
    store.upsert_nodes([Node("person:a", vocab.PERSON, "A"), Node("person:b", vocab.PERSON, "B")])


def test_import_keeps_good_rows_and_names_bad_ones_by_line(sqlite_store: SQLiteStore,
                                                           tmp_path: Path) -> None:
    _people(sqlite_store)
    path = tmp_path / "measures.csv"
    path.write_text(SHEET, encoding="utf-8")
    report = import_measures(sqlite_store, path)
    assert (report.read, report.written, report.rejected) == (8, 2, 6)
    reasons = {r.where: (r.field, r.reason) for r in report.rejections}
    assert reasons["line 4"] == ("anxiety", "ons4 anxiety is outside 0 to 10")
    assert reasons["line 5"][0] == "person_id"
    assert reasons["line 6"][0] == "date"
    assert "earlier in this file" in reasons["line 7"][1]
    assert reasons["line 8"][0] == "scale"
    assert reasons["line 9"][1] == "ucla3 needs 3 answers, not 2"
    assert all(r.file == str(path) for r in report.rejections)
    scales = sorted(r.data["scale"] for r in sqlite_store.records(vocab.MEASURE))
    assert scales == ["swemwbs", "ucla3"]
    assert sqlite_store.count() == 2  # records are not nodes


def test_import_cli_kind_measures_and_a_file_without_columns(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    store = SQLiteStore(tmp_path / "s.db")
    _people(store)
    store.close()
    good = tmp_path / "good.csv"
    good.write_text(SHEET.splitlines()[0] + "\n" + SHEET.splitlines()[1] + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["import", "spreadsheet", str(good), "--kind", "measures",
                                       "--store", url])
    assert result.exit_code == 0, result.output
    assert "read 1, wrote 1, rejected 0" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("who,score\na,3\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["import", "spreadsheet", str(bad), "--kind", "measures",
                                       "--store", url])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "has no person_id or scale or date column" in result.output
    store = SQLiteStore(tmp_path / "s.db")
    try:
        assert len(store.records()) == 1
    finally:
        store.close()
