"""Benchmark outcomes over time on the demo area: generating the synthetic outcomes, the cohort
analysis (a circle on two dates per person), and the ratings summary.

Prints CPU seconds (time.process_time), peak RSS, and the ratio of each step against a baseline
run in the same process: reading the whole store into a graph (``to_networkx``), which the cohort
analysis needs once.

    python benchmarks/bench_outcomes.py --people 20000
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

from assetmap import vocab
from assetmap.demo import synthetic
from assetmap.demo.outcomes import add_outcomes
from assetmap.graph.analysis.outcomes import cohort_outcomes, cohort_people, person_timeline
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.ratings import ratings_summary


def cpu(fn):  # -> (seconds, result)
    start = time.process_time()
    result = fn()
    return time.process_time() - start, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--people", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=2021)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "demo.db")
        synthetic.populate(store, people=args.people, seed=args.seed)
        generate, counts = cpu(lambda: add_outcomes(store, seed=args.seed))
        baseline, G = cpu(store.to_networkx)
        cohort, people = cpu(lambda: cohort_people(store, G))
        table_s, _ = cpu(lambda: cohort_outcomes(people))
        ratings_s, summary = cpu(lambda: ratings_summary(store))
        someone = people["person_id"].iloc[0] if len(people) else None
        timeline_s, _ = cpu(lambda: person_timeline(store, someone) if someone else None)
        store.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "people": args.people, "records": counts["records"],
        "cohort_people": len(people), "places_with_published_ratings": len(summary),
        "cpu_s": {"baseline_to_networkx": round(baseline, 3),
                  "generate_outcomes": round(generate, 3), "cohort_people": round(cohort, 3),
                  "cohort_table": round(table_s, 3), "ratings_summary": round(ratings_s, 3),
                  "one_person_timeline": round(timeline_s, 3)},
        "ratio_to_baseline": {"cohort_people": round(cohort / baseline, 2),
                              "generate_outcomes": round(generate / baseline, 2)},
        "peak_rss_mb": round(peak_mb, 1), "measure_kinds": list(vocab.RECORD_KINDS)},
        indent=2))


if __name__ == "__main__":
    main()
