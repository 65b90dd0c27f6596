"""Carers: training, equipment, an emergency back-up plan and respite; paid support is not
emergency back-up (issue 17)."""

from __future__ import annotations

from test_analysis_graphs import build, person, practitioner, tie

from assetmap import vocab
from assetmap.graph.analysis.carer_readiness import carer_readiness, carer_readiness_by_area
from assetmap.model import Node


def _areas():
    return [Node("W1", vocab.AREA, "Ward One", None, None, None, {"level": "ward"}),
            Node("L1", vocab.AREA, "L1", None, None, None, {"level": "lsoa", "parent": "W1"})]


def _graph(tmp_path):
    nodes = [*_areas(),
             person("amy", area="L1", roles=["carer"]), person("mum", area="L1"),
             person("bo", area="L1"), person("dad", area="L1"), person("cy", area="L1"),
             person("dee", area="L1", carer_supports=["training", "emergency_plan"]),
             person("gran", area="L1"), person("sl", area="L1"),
             person("eve", area="L1"), person("aunt", area="L1"),
             practitioner("pa", "personal_assistant")]
    ties = [tie("person:amy", "person:mum", "CARES_FOR"),
            tie("person:mum", "practitioner:pa", "PAID_SUPPORT"),    # paid: not back-up
            tie("person:bo", "person:dad", "CARES_FOR"),
            tie("person:cy", "person:dad", "CARES_FOR"),             # a second unpaid carer
            tie("person:dee", "person:gran", "CARES_FOR"),
            tie("person:eve", "person:aunt", "CARES_FOR"),
            tie("person:aunt", "person:sl", "SHARED_LIVES")]         # Shared Lives: back-up
    return build(tmp_path / "carers.db", nodes, ties)


def test_each_carer_is_told_what_is_missing(tmp_path):
    df = carer_readiness(_graph(tmp_path))
    missing = {p: set(g["missing"]) for p, g in df.groupby("person_id")}
    everything = set(vocab.CARER_SUPPORTS)
    assert missing["person:amy"] == everything  # the PA does not make an emergency plan
    assert missing["person:bo"] == missing["person:cy"] == everything - {"emergency_plan"}
    assert missing["person:dee"] == {"equipment", "respite"}  # as recorded
    assert missing["person:eve"] == everything - {"emergency_plan"}
    amy = df[(df.person_id == "person:amy") & (df.missing == "emergency_plan")].iloc[0]
    assert "paid support does not count" in amy.reasons


def test_carers_gaps_per_ward_are_published_counts(tmp_path):
    table = carer_readiness_by_area(_graph(tmp_path), "ward")
    row = table.set_index("area_code").loc["W1"]
    # five carers, each count 1..7 is shown as "<8"; no person appears
    assert set(row[list(vocab.CARER_SUPPORTS)]) <= {"<8", "0"}
    assert "person:" not in table.to_csv()
