"""Seeded synthetic histories of the seed hierarchy for benchmarks (and scale tests).

    python benchmarks/generate.py --events 1000000 --lineages 8 --seed 7 --out benchmarks/data/h-1m.jsonl

Each lineage runs fine-tunes a few days apart. Two profiles:
- `ladder` (worst case): every run emits the walkthrough's events (run start, a slice, provenance
  flags, eval drops, a spec violation, feedback, a partner concern) with jitter, and a few events are
  dropped at random, so nearly every run climbs the whole ladder to governance_action_required.
- `realistic`: most runs are uneventful (a run start and dataset slices, now and then a single
  provenance flag or eval drop that forms no cluster); one run in twenty drifts like the walkthrough.
A few partner concerns carry no lineage (shared context, evaluated in every partition).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from datetime import datetime, timedelta, timezone

START = datetime(2020, 1, 1, tzinfo=timezone.utc)
RUN = [  # (type, offset in hours from the run start)
    ("run_started", 0.0),
    ("dataset_slice_added", 0.3),
    ("dataset_provenance_flag", 0.5),
    ("dataset_provenance_flag", 2.0),
    ("dataset_provenance_flag", 6.0),
    ("eval_regression_observed", 1.5),
    ("eval_regression_observed", 4.0),
    ("spec_constraint_violation", 5.0),
    ("user_feedback_mismatch", 48.0),
    ("external_concern_reported", 72.0),
]


QUIET = [("run_started", 0.0)] + [("dataset_slice_added", 0.2 + i * 0.5) for i in range(6)]


def run_template(rng: random.Random, profile: str) -> list[tuple[str, float]]:
    if profile == "ladder" or rng.random() < 0.05:
        return RUN
    extra = []
    if rng.random() < 0.3:
        extra.append(("dataset_provenance_flag", rng.uniform(0, 6)))
    if rng.random() < 0.2:
        extra.append(("eval_regression_observed", rng.uniform(0, 6)))
    if rng.random() < 0.05:
        extra.append(("user_feedback_mismatch", rng.uniform(24, 96)))
    return QUIET + extra


def generate(
    n_events: int,
    lineages: int,
    seed: int,
    drop: float = 0.08,
    shared_every: int = 5000,
    profile: str = "ladder",
):
    rng = random.Random(seed)
    names = [f"ft-{i:02d}" for i in range(lineages)]
    clocks = {name: START + timedelta(hours=rng.uniform(0, 48)) for name in names}
    run_no = {name: 0 for name in names}
    made = 0
    run_no_total = 0
    while made < n_events:
        name = names[run_no_total % lineages]
        run_no_total += 1
        run_no[name] += 1
        t0 = clocks[name]
        for i, (etype, hours) in enumerate(run_template(rng, profile)):
            if made >= n_events:
                break
            if i > 0 and rng.random() < drop:
                continue
            ts = t0 + timedelta(hours=hours, minutes=rng.uniform(-20, 20))
            made += 1
            yield {
                "id": f"{name}-r{run_no[name]}-{i}",
                "type": etype,
                "timestamp": ts.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "lineage": name,
                "props": {"run": run_no[name], "source": "bench"},
            }
            if made % shared_every == 0 and made < n_events:
                made += 1
                yield {
                    "id": f"shared-{made}",
                    "type": "external_concern_reported",
                    "timestamp": ts.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "props": {"partner": "p" + str(made % 7)},
                }
        clocks[name] = t0 + timedelta(days=rng.uniform(2.5, 4.0))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, required=True)
    ap.add_argument("--lineages", type=int, default=8)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--profile", choices=["realistic", "ladder"], default="realistic")
    ap.add_argument("--out", default="-")
    a = ap.parse_args()
    records = list(generate(a.events, a.lineages, a.seed, profile=a.profile))
    random.Random(a.seed + 1).shuffle(records)  # file order must not matter
    out = sys.stdout if a.out == "-" else open(a.out, "w", encoding="utf-8")  # noqa: SIM115
    with out:
        for r in records:
            out.write(json.dumps(r, separators=(",", ":")) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
